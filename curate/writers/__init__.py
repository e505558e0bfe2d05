"""Writers: data files, the output folder (written whole or not at all), and atomic files."""
