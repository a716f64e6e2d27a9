"""What needs and offers share: the listing columns and lifecycle, forms, search, paging,
visibility, skill tags."""
