-- The columns of a table, in order; none when it does not exist.
-- Parameter: the table's name, unquoted.
SELECT name FROM pragma_table_info(?) ORDER BY cid
