module github.com/gorate/ratelimit/store/multiprocess

go 1.25

require github.com/gorate/ratelimit v0.0.0-00010101000000-000000000000

replace github.com/gorate/ratelimit => ../..
