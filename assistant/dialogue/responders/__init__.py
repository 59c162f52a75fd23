"""The responders: each makes the reply of one kind of decision and returns its draft."""
