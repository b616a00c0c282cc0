-- stg_projects: one row per project, as accepted into the lake.
-- name_zh and partner_zh are optional (NULL when not sent): readers fall back to the English.
-- grain: project_id
-- materialized: table
SELECT project_id, name, name_zh, partner, partner_zh, kind, region, lat, lon, started_on,
       target_units, target_area_ha, target_date
FROM lake_projects
