-- The row holding the i-th newest unit of a name (ties in insertion order):
-- its time, weight and item name (NULL when the item's name is the name, which
-- the column may hold as a digest). Parameters: name, i.
SELECT p.ts, p.weight, p.item
FROM {{.Table}} AS p
WHERE p.name = $1
	AND p.before <= (SELECT n.before + n.weight FROM {{.Table}} AS n WHERE n.name = $1 ORDER BY n.before DESC LIMIT 1) - 1 - $2
ORDER BY p.before DESC
LIMIT 1
