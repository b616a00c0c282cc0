-- stg_projects: one row per project (grain: project_id), as accepted into the lake.
-- materialized: table
SELECT project_id, name, partner, kind, region, lat, lon, started_on,
       target_units, target_area_ha, target_date
FROM lake_projects
