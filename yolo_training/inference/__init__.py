"""Step 7: using a trained model: predictions on images, video and the webcam, export, pre-labelling."""
