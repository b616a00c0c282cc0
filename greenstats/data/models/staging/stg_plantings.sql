-- stg_plantings: one row per batch planted, with its project's region, partner and kind.
-- Projects never change once loaded, so the join is stable. Batches without their own
-- coordinates take the project's.
-- grain: planting_id
-- materialized: table
SELECT p.planting_id, p.project_id, p.species, p.planted_on, p.units_planted, p.area_ha,
       coalesce(p.lat, pr.lat) AS lat, coalesce(p.lon, pr.lon) AS lon,
       pr.region, pr.partner, pr.kind
FROM lake_plantings AS p
JOIN stg_projects AS pr USING (project_id)
