-- stg_brands: one row per partner brand, as accepted into the lake. The brands table is
-- optional: a brand_id of the actions with no row here is shown by its id.
-- grain: brand_id
-- materialized: table
SELECT brand_id, name, name_zh
FROM lake_brands
