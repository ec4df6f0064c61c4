package grpclimit

import "time"

// SetNow sets the clock c reads its holds by.
func SetNow(c *Client, now func() time.Time) { c.now = now }
