"""The end of a treatment cycle: the response, the after-care handout, billing and costs."""
