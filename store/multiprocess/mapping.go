package mpstore

import "unsafe"

// mapping is the file as mapped into this process. Every access happens
// under the store's lock (see Store.lock), so plain loads and stores are
// enough, except for commit stores, which go through storeWord.
type mapping struct {
	data []byte
	base unsafe.Pointer
	lay  layout
}

func newMapping(data []byte, lay layout) mapping {
	return mapping{data: data, base: unsafe.Pointer(&data[0]), lay: lay}
}

// at returns the int64 at off in the file.
func (m *mapping) at(off int64) *int64 { return (*int64)(unsafe.Add(m.base, off)) }

// index returns slot i's index word.
func (m *mapping) index(i int64) *int64 { return m.at(m.lay.indexOff + 8*i) }

// slot returns the start of slot i.
func (m *mapping) slot(i int64) unsafe.Pointer {
	return unsafe.Add(m.base, m.lay.slotsOff+i*m.lay.slotSize)
}
