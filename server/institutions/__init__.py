"""Institutions: the province → city → county tree (R2). Every user belongs to one."""
