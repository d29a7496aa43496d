"""The Scrapy project: site registry, the generic `reports` spider and the CMS listing strategies."""
