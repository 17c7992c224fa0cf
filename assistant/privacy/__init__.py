"""Personal data (个人信息保护法): masking, retention purge, a person's conversation exported or deleted on request."""
