-- mart_redemptions_daily: one row per (day, project_id, species) of accepted redemptions,
-- with the project's region (a redemption follows its project's region: docs/CONTRACT.md,
-- Filters).
-- grain: day, project_id, species
-- materialized: partitioned by month
SELECT r.day, r.month, r.project_id, p.region, r.species,
       count(*) AS count_redemptions,
       sum(r.units) AS units,
       sum(r.energy_g) AS energy_g
FROM lake_redemptions AS r
JOIN stg_projects AS p USING (project_id)
GROUP BY ALL
