"""The published values of both papers, each with its section or table: the one
place chapters, pages and the synthetic generators read a study number from."""
