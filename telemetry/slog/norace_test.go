//go:build !race

package sloglimit_test

const raceEnabled = false
