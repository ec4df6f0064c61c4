module github.com/gorate/ratelimit/scripts/releasetool

go 1.25

require golang.org/x/mod v0.30.0
