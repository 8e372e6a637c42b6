// PLACEHOLDER (lead): replaced by the owning helper.
export const handler = async (): Promise<never> => {
  throw new Error('not implemented yet');
};
