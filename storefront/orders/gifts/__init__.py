"""Gifts: releases bought for someone else by email, claimed through a link."""
