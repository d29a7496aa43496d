"""The items the spider hands to the pipelines."""
import scrapy


class DocumentItem(scrapy.Item):
    """One fetched document: a report page or one of its attachments."""

    url = scrapy.Field()            # the URL requested (after the listing's link)
    final_url = scrapy.Field()      # after redirects
    site = scrapy.Field()           # registry id
    site_region = scrapy.Field()    # the site's region dict {province, city, county, code}: a hint
    kind = scrapy.Field()           # "page" | "attachment"
    parent_url = scrapy.Field()     # for an attachment: the report page that links it
    listing_url = scrapy.Field()    # the listing page where the report link was found
    listing_title = scrapy.Field()  # the title shown in the listing (a metadata hint)
    link_text = scrapy.Field()      # the anchor text of the link that led here
    status = scrapy.Field()         # HTTP status
    headers = scrapy.Field()        # {"content-type", "content-disposition", "etag", "last-modified"}
    filename = scrapy.Field()       # safe file name (from Content-Disposition or the URL)
    media_type = scrapy.Field()     # sniffed from the bytes: text/html, application/pdf, …
    body = scrapy.Field()           # the bytes (the raw-file pipeline stores and then drops them)
    fetched_at = scrapy.Field()     # ISO 8601 UTC
    # set by the pipelines
    sha256 = scrapy.Field()
    path = scrapy.Field()           # the content-addressed raw file under the data directory
    report = scrapy.Field()         # parsers.Report
    parse_error = scrapy.Field()    # one-line error text when parsing failed
    url_state = scrapy.Field()      # its url_states row (pipelines.validators), stored with the document


class CrawlErrorItem(scrapy.Item):
    """A fetch that failed (HTTP error, timeout, blocked, too large, …), recorded in the dataset."""

    site = scrapy.Field()
    url = scrapy.Field()
    status = scrapy.Field()         # HTTP status, or None
    error = scrapy.Field()          # one-line description, e.g. "HTTP 500 after 2 retries"
    referer = scrapy.Field()
    fetched_at = scrapy.Field()
