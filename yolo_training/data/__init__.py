"""Steps 1 and 3: photos in (webcam, video, folder, the sample), datasets read and checked, split, config.yaml written."""
