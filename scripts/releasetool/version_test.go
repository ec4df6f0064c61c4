package main

import (
	"errors"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	tests := []struct {
		v  string
		ok bool
	}{
		{"v0.3.0", true},
		{"v1.0.0", true},
		{"v0.3.0-rc.1", true},
		{"0.3.0", false},       // no leading v
		{"v0.3", false},        // not canonical
		{"v0.3.0+meta", false}, // build metadata: Go drops it
		{"v2.0.0", false},      // the module paths have no /v2
		{"latest", false},
		{"", false},
	}
	for _, tt := range tests {
		err := checkVersion(tt.v)
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, errVersion)) {
			t.Errorf("checkVersion(%q) = %v, want ok %v", tt.v, err, tt.ok)
		}
	}
}
