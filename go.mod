module github.com/gorate/ratelimit

go 1.25
