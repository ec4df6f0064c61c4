package grpclimit

import "time"

// SetNow sets the clock c reads its holds by.
func SetNow(c *Client, now func() time.Time) { c.now = now }

// Holds returns how many keys c holds back.
func Holds(c *Client) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.holds)
}
