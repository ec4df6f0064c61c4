-- The server's clock in Unix milliseconds, as the decision function reads it.
SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint
