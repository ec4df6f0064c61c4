module github.com/gorate/ratelimit/examples

go 1.25

require (
	github.com/gorate/ratelimit v0.0.0-00010101000000-000000000000
	github.com/gorate/ratelimit/store/multiprocess v0.0.0-00010101000000-000000000000
	github.com/gorate/ratelimit/store/sqlite v0.0.0-00010101000000-000000000000
	github.com/jackc/pgx/v5 v5.8.0
	github.com/redis/go-redis/v9 v9.22.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.2 // indirect
	go.uber.org/atomic v1.11.0 // indirect
	golang.org/x/sync v0.17.0 // indirect
	golang.org/x/text v0.29.0 // indirect
)

require (
	github.com/dustin/go-humanize v1.0.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/gorate/ratelimit/store/postgres v0.0.0-00010101000000-000000000000
	github.com/gorate/ratelimit/store/redis v0.0.0-00010101000000-000000000000
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/ncruces/go-strftime v1.0.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	golang.org/x/exp v0.0.0-20251023183803-a4bb9ffd2546 // indirect
	golang.org/x/sys v0.37.0 // indirect
	modernc.org/libc v1.67.6 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.11.0 // indirect
	modernc.org/sqlite v1.46.1 // indirect
)

replace github.com/gorate/ratelimit => ../

replace github.com/gorate/ratelimit/store/sqlite => ../store/sqlite

replace github.com/gorate/ratelimit/store/multiprocess => ../store/multiprocess

replace github.com/gorate/ratelimit/store/redis => ../store/redis

replace github.com/gorate/ratelimit/store/postgres => ../store/postgres
