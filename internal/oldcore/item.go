package ratelimit

import "fmt"

// Item is one request for Weight units under Name, stamped at Time.
//
// Time is in milliseconds in the clock domain of the bucket it is put into
// (see [Bucket.Now]); mixing domains within one bucket gives meaningless
// answers. Weight 0 is always admitted and stores nothing; a negative Weight
// is an error.
type Item struct {
	Name   string
	Time   int64
	Weight int64
}

// String returns the item as "Item(name=foo, weight=3, time=1234)".
func (it Item) String() string {
	return fmt.Sprintf("Item(name=%s, weight=%d, time=%d)", it.Name, it.Weight, it.Time)
}
