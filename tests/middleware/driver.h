/* driver.h: the test driver's interpreter (driver.c); each main feeds it lines. */
void driver_line(char *line);
