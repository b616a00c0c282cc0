-- stg_surveys: one row per survival count, with its project's region.
-- grain: survey_id
-- materialized: table
SELECT s.survey_id, s.project_id, s.species, s.surveyed_on, s.units_sampled, s.units_alive,
       pr.region, pr.partner
FROM lake_surveys AS s
JOIN stg_projects AS pr USING (project_id)
