"""The shop wing: the shop profile, its database, its policy rules, the actions and the order desk."""
