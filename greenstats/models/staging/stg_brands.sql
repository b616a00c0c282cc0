-- stg_brands: one row per partner brand (grain: brand_id), as accepted into the lake. The
-- brands table is optional: a brand_id of the actions with no row here is shown by its id.
-- materialized: table
SELECT brand_id, name, name_zh
FROM lake_brands
