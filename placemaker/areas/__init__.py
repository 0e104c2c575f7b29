"""The area hierarchy (stadsdeel > gebied > wijk > buurt), its indicators and cohesion scores."""
