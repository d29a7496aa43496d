"""The crawler's spiders: one generic `reports` spider driven by the site registry."""
