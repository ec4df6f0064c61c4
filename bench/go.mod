module github.com/gorate/ratelimit/bench

go 1.25

require (
	github.com/gorate/ratelimit v0.0.0-00010101000000-000000000000
	github.com/sethvargo/go-limiter v0.7.1
	golang.org/x/time v0.14.0
)

replace github.com/gorate/ratelimit => ../
