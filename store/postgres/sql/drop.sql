-- Removes the tables, their indexes and the decision functions.
DROP FUNCTION IF EXISTS {{.Acquire}};
DROP FUNCTION IF EXISTS {{.Decide}};
DROP TABLE IF EXISTS {{.Table}};
DROP TABLE IF EXISTS {{.State}}
