-- stg_protected_areas: one row per protected area.
-- name_zh and partner_zh are optional (NULL when not sent): readers fall back to the English.
-- grain: area_id
-- materialized: table
SELECT area_id, name, name_zh, partner, partner_zh, region, area_ha, established_on, lat, lon,
       project_id
FROM lake_protected_areas
