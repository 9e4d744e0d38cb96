"""What the platform signs about the files fans receive: rendition manifests and dated status statements."""
