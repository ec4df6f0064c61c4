package mpstore

import (
	"crypto/sha256"
	"unsafe"
)

// A slot keeps the names its entries were put under, for Peek: record 0 is
// the key itself, the name every put through [Store.Acquire] uses; records
// 1 to 7 are aliases, other names put through a view of the key
// ([Store.Bucket]). Each entry's tag says which record names it. An alias
// is rewritten only when no live entry refers to it, and its length word is
// written last, so a half-written alias is never read. When all aliases are
// taken, or a name is longer than a key may be, the entry is tagged
// tagOther and Peek reports it under the key's name: names never change a
// decision.
const tagOther = 0xff

// nameLen returns the length word of slot l's name record r.
func (l *slotLog) nameLen(r int) *int64 {
	return l.word(sNames + int64(r)*l.m.lay.nameSize)
}

// nameBytes returns the n bytes of slot l's name record r.
func (l *slotLog) nameBytes(r int, n int64) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(l.p, sNames+int64(r)*l.m.lay.nameSize+8)), n)
}

// setKey writes k into the key record and marks every alias unused, in a
// slot not yet published.
func (l *slotLog) setKey(k *keyForm) {
	b := k.stored()
	copy(l.nameBytes(0, int64(len(b))), b)
	*l.nameLen(0) = k.lenKind
	for r := 1; r < int(l.m.lay.nameRecs); r++ {
		*l.nameLen(r) = nameUnused
	}
}

// holds reports whether slot l's key is k.
func (l *slotLog) holds(k *keyForm) bool { return l.m.holds(l.p, k) }

// holds reports whether the key of the slot at p is k.
func (m *mapping) holds(p unsafe.Pointer, k *keyForm) bool {
	if *(*int64)(unsafe.Add(p, sNames)) != k.lenKind {
		return false
	}
	b := k.stored()
	return unsafe.String((*byte)(unsafe.Add(p, sNames+8)), len(b)) == b
}

// keyHash returns the index word of the key the slot at p holds, and
// false if its key record is not one this package writes.
func (m *mapping) keyHash(p unsafe.Pointer) (uint64, bool) {
	lk := *(*int64)(unsafe.Add(p, sNames))
	n := lk
	if lk&digestFlag != 0 {
		n = sha256.Size
		if l := lk &^ digestFlag; l <= m.lay.keyLen || l >= digestFlag {
			return 0, false // a digest stands only for a longer key
		}
	}
	if n < 0 || n > m.lay.keyLen {
		return 0, false
	}
	return keyHash(unsafe.String((*byte)(unsafe.Add(p, sNames+8)), n), lk), true
}

// tagFor returns the tag of name in slot l, whose key is key, taking a
// free alias record for a name not seen yet.
func (l *slotLog) tagFor(key, name string) uint8 {
	if name == key {
		return 0
	}
	if int64(len(name)) > l.m.lay.keyLen {
		return tagOther
	}
	free := -1
	for r := 1; r < nameRecords; r++ {
		switch n := *l.nameLen(r); {
		case n == int64(len(name)) && string(l.nameBytes(r, n)) == name:
			return uint8(r)
		case n == nameUnused && free < 0:
			free = r
		}
	}
	if free < 0 {
		var used [nameRecords]bool
		for seq := l.head; seq < l.tail; seq++ {
			if t := *l.tag(seq); t < nameRecords {
				used[t] = true
			}
		}
		for r := 1; r < nameRecords && free < 0; r++ {
			if !used[r] {
				free = r
			}
		}
		if free < 0 {
			return tagOther
		}
	}
	storeWord(l.nameLen(free), nameUnused)
	copy(l.nameBytes(free, int64(len(name))), name)
	crashPoint(pointAlias)
	storeWord(l.nameLen(free), int64(len(name)))
	return uint8(free)
}

// name returns the name an entry tagged t was put under; key is the slot's
// key.
func (l *slotLog) name(t uint8, key string) string {
	if t == 0 || t >= nameRecords {
		return key
	}
	n := *l.nameLen(int(t))
	if n < 0 || n > l.m.lay.keyLen {
		return key
	}
	return string(l.nameBytes(int(t), n))
}
