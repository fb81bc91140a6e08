"""Overdue work for supervisors: tasks, reviews, callbacks and cases past their dates; a daily digest."""
