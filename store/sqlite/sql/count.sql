-- The units stored under a name: the running total after the newest row
-- minus the one before the oldest. Parameters: name, name.
SELECT COALESCE(
	(SELECT before + weight FROM {{.Table}} WHERE name = ? ORDER BY before DESC LIMIT 1)
	- (SELECT before FROM {{.Table}} WHERE name = ? ORDER BY before LIMIT 1),
	0)
