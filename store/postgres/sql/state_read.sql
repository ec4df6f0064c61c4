-- A name's state with the server's clock, for Count: no row when the name
-- has none. Parameter: name.
SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint, s.alg, s.state
FROM (SELECT 1) AS one LEFT JOIN {{.State}} AS s ON s.name = $1
