-- The units stored under a name: the running total after the newest row
-- minus the one before the oldest. Parameter: name.
SELECT COALESCE(
	(SELECT n.before + n.weight FROM {{.Table}} AS n WHERE n.name = $1 ORDER BY n.before DESC LIMIT 1)
	- (SELECT o.before FROM {{.Table}} AS o WHERE o.name = $1 ORDER BY o.before LIMIT 1),
	0)
