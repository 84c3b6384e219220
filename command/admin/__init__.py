"""The coverage board and the contact log in the admin."""
