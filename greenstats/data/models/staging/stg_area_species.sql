-- stg_area_species: one row per species recorded in a protected area; it follows its
-- area's region (docs/CONTRACT.md, Filters).
-- common_name_zh is optional (NULL when not sent).
-- grain: area_id, scientific_name
-- materialized: table
SELECT s.area_id, s.scientific_name, s.iucn_category, s.common_name, s.common_name_zh,
       s.taxon_group, s.last_observed_on, a.region, a.partner
FROM lake_area_species AS s
JOIN stg_protected_areas AS a USING (area_id)
