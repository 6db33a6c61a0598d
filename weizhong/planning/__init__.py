"""Treatment planning: acupuncture prescription, safety rules, electro-acupuncture, herbs
and the home programme."""
