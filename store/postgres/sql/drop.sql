-- Removes the table, its indexes and the decision function.
DROP FUNCTION IF EXISTS {{.Acquire}};
DROP TABLE IF EXISTS {{.Table}}
