-- stg_protected_areas: one row per protected area (grain: area_id).
-- materialized: table
SELECT area_id, name, partner, region, area_ha, established_on, lat, lon, project_id
FROM lake_protected_areas
