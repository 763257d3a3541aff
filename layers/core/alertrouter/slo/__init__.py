"""Pure SLO maths: error budgets and multiwindow, multi-burn-rate alerting. No AWS."""
