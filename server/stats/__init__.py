"""Callback statistics (R4 问题分类及统计): the console dashboard's figures and the monthly report."""
