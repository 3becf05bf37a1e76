"""Who may do what: the clinic's roles, two-step sign-in, and the guards every request passes."""
