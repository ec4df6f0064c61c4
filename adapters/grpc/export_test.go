package grpclimit

import "time"

// SetNow sets the clock c reads its local holds by.
func SetNow(c *Client, now func() time.Time) { c.holds.Now = now }

// Holds returns how many keys c holds back locally.
func Holds(c *Client) int { return c.holds.Len() }
